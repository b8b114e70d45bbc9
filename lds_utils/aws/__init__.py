"""AWS: the Athena engine, its settings, provisioning (setup), the dry-run plan and the cost estimate."""
