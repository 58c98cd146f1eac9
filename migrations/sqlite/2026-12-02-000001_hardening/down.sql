DROP TABLE bootstrap;
DROP TABLE manager_leases;
DROP TABLE ownership_offers;
