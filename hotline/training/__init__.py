"""Model versions and the nightly retraining candidate: ``versions`` keeps the managed model directory
(versioned artifacts + an atomically replaced pointer), ``nightly`` trains, compares and promotes."""
