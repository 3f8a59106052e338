#!/usr/bin/env python3
"""A grpcurl-like client: everything it knows about the server comes from the server's
reflection service (grpcio-reflection's descriptor database), nothing from this repository, so
it is a check that a third-party tool can use ferrolite-server.

  pip install grpcio grpcio-reflection protobuf
  grpcurl.py ADDR list | describe SERVICE | call Service/Method ['JSON' [TIMEOUT_S]] [-H 'k: v']

Requests and answers are protobuf's JSON mapping (bytes in base64, 64-bit integers as strings).
"""
import sys, json, grpc
from google.protobuf import descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

args = sys.argv[1:]
headers = []
while "-H" in args:
    i = args.index("-H"); k, v = args[i + 1].split(":", 1); headers.append((k.strip().lower(), v.strip())); del args[i:i + 2]
addr, cmd, rest = args[0], args[1], args[2:]
channel = grpc.insecure_channel(addr)
db = ProtoReflectionDescriptorDatabase(channel)
pool = descriptor_pool.DescriptorPool(db)
if cmd == "list":
    for s in db.get_services():
        print(s)
elif cmd == "describe":
    svc = pool.FindServiceByName(rest[0])
    for m in svc.methods:
        stream = "stream " if m.server_streaming else ""
        print(f"rpc {m.name}({m.input_type.full_name}) returns ({stream}{m.output_type.full_name})")
elif cmd == "call":
    svc_name, method_name = rest[0].split("/")
    m = pool.FindServiceByName(svc_name).methods_by_name[method_name]
    req_cls = message_factory.GetMessageClass(m.input_type)
    resp_cls = message_factory.GetMessageClass(m.output_type)
    req = json_format.Parse(rest[1] if len(rest) > 1 else "{}", req_cls())
    path = f"/{svc_name}/{method_name}"
    ser, de = req_cls.SerializeToString, resp_cls.FromString
    try:
        if m.server_streaming:
            call = channel.unary_stream(path, request_serializer=ser, response_deserializer=de)
            for r in call(req, metadata=headers, timeout=float(rest[2]) if len(rest) > 2 else None):
                print(json.dumps(json_format.MessageToDict(r)))
        else:
            call = channel.unary_unary(path, request_serializer=ser, response_deserializer=de)
            print(json.dumps(json_format.MessageToDict(call(req, metadata=headers))))
    except grpc.RpcError as e:
        print(f"ERROR: code = {e.code().name}, message = {e.details()}")
        sys.exit(1)
