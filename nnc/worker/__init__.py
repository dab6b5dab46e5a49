"""The compute node side: hardware profile, and the `nnc worker` daemon that trains assigned tasks."""
