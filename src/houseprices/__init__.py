"""houseprices: Kaggle House Prices through a complete MLOps lifecycle."""

__version__ = "0.1.0"
