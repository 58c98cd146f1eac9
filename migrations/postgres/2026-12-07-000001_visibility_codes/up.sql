-- Visibility is stored as the API numbers it (cordvault.v1.Visibility):
-- 1 private, 2 public; it was 0 and 1. Every insert names it.
UPDATE entries SET visibility = visibility + 1;
