//! Request-level simulation of a queue (`--fidelity request`), to validate the fluid model.
