"""Configuration: the models of both seeds' files, where they live, how they layer, and every
check that turns a bad file into a problem with a line, a column and a fix."""
