DROP TABLE app_passwords;
DROP TABLE ssh_keys;
