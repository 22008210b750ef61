"""XRD: phases from reference_patterns, wavelengths, profiles, joint phase fits, size and strain,
phase identification."""
