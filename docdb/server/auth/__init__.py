"""Access control as mongod does it: SCRAM authentication (scram.py, saslprep.py), users and roles stored
in ``admin.system.users`` / ``admin.system.roles`` (store.py, documents.py), built-in roles as data
(builtin_roles.py), and the one authorization step dispatch runs per command (authorize.py, driven by the
table in command_privileges.py)."""
