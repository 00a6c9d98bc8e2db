"""Generation with trained models: conditional sampling, flux folding, streaming export."""
