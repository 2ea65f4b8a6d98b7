"""mlops: Git-native, declarative MLOps."""

__version__ = "0.1.0"
