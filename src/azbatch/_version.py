"""The package version, also used in the User-Agent header."""

VERSION = "0.1.0"
