"""Names shared by the gcp integration tests and their conftest (a module of its own: `conftest` is ambiguous)."""
from __future__ import annotations

PROJECT = "wandb-test"
PROJECT_NUMBER = "424242424242"
SERVER_SA = "wandb-server@wandb-test.iam.gserviceaccount.com"
