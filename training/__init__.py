"""Training and export of fercam's ResNet+CBAM expression model."""
