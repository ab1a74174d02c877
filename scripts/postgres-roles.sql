-- The PostgreSQL roles of multicert, as docker-compose.yml creates them on a
-- new cluster (docker-entrypoint-initdb.d); run it once as a superuser
-- elsewhere, with passwords of your own.
--
-- multicert_owner owns the database and its schema: `multicert migrate` and
-- the server's start-up migrations run as it (MULTICERT_MIGRATE_DB).
-- multicert_app is what the server runs as (MULTICERT_DB). After migrating,
-- the server grants it (as `multicert db grant` does) SELECT, INSERT, UPDATE
-- and DELETE on the ordinary tables, but only SELECT and INSERT on
-- audit_events and no TRUNCATE anywhere. Not being the owner, it cannot
-- switch the append-only triggers off either.
CREATE ROLE multicert_owner LOGIN PASSWORD 'multicert-owner';
CREATE ROLE multicert_app LOGIN PASSWORD 'multicert-app';
CREATE DATABASE multicert OWNER multicert_owner;
REVOKE ALL ON DATABASE multicert FROM PUBLIC;
