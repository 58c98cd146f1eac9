DROP TABLE thumbnail_jobs;
DROP TABLE thumbnails;
ALTER TABLE contents DROP COLUMN has_thumbnail;
