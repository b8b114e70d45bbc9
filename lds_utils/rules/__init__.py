"""One source for each business rule the SQL binds: the regulated billing values and the Tukey fence."""
