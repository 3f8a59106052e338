CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER);
CREATE INDEX users_age ON users (age);
INSERT INTO users (name, age) VALUES ('ada', 36), ('grace', 45), ('alan', 41);
SELECT * FROM users WHERE age > 40 ORDER BY age;
EXPLAIN SELECT name FROM users WHERE age > 40 ORDER BY age;
.schema
BEGIN;
UPDATE users SET age = age + 1 WHERE name = 'ada';
.session other
UPDATE users SET age = 0 WHERE id = 1;
.session main
COMMIT;
SELECT * FROM users;
SELECT name, age FROM users WHERE age BETWEEN 40 AND 50 ORDER BY age DESC;
.session other
.session
SELECT nope FROM users;
SELECT * FROM users UNION SELECT * FROM users;
SELEC 1;
INSERT INTO users (name, age) VALUES ('eve', 'old');
INSERT INTO users (id, name) VALUES (2, 'dup');
