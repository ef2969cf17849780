"""The printable report template and its stylesheet (a package so they are installed with the code)."""
