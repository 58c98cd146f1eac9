DROP TABLE discord_lookups;
DROP TABLE package_results;
DROP TABLE packages;
