"""The service layer: use cases the Desk exposes to host applications."""
