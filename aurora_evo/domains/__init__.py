"""Problem domains (bin packing, ...): how each maps onto the program contracts, and its datasets."""
