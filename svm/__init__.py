"""SVM engine: LibSVM input, backends, CV folds, the (gamma, C) grid, MPI task farm, journal."""
