"""3D-CNN engine: window file (HDF5) writer and reader, models, training protocols, checkpoints."""
