"""AutoMetaClassifier and AutoMetaRegressor (their shared base) and model files."""
