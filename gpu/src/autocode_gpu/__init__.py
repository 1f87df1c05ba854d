"""autocode-em policy worker (Temporal task queue ``gpu``)."""
