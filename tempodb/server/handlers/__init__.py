"""The endpoints' implementations, one module per resource; ``engine.Engine`` maps routes to them."""
