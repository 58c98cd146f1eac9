DROP TABLE locks;
DROP TABLE entry_properties;
