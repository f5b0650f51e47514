/* A valid shared library that is not a PlugHost plugin: it exports neither entry point. */
int fixture_unrelated_function(int x) { return x + 1; }
