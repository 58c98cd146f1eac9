UPDATE entries SET visibility = visibility - 1;
