"""The example inventory (three instances on three clouds) is valid input, and playbooks/validate.yml catches bad
input offline, naming the variable."""
from __future__ import annotations

from support.playbooks import REPO, run_playbook

VALIDATE = REPO / "playbooks" / "validate.yml"
EXAMPLE = REPO / "inventories" / "example"
HOSTS = ("wandb-research.example.com", "wandb-vision.example.com", "wandb-speech.example.com")


def validate(*options):
    # No connection is made: every task of validate.yml runs on the controller (hosts are fictional).
    return run_playbook(VALIDATE, None, "-i", str(EXAMPLE), *options, local=False, verbose=False, diff=False,
                        timeout=300, env={"ANSIBLE_STDOUT_CALLBACK": "default"})


def included_for(output, role):
    """The hosts an `included: <role> for h1, h2` line names (their order is the order the hosts finished in)."""
    prefix = "included: wandb_local.server.%s for " % role
    for line in output.splitlines():
        if line.startswith(prefix):
            return set(line[len(prefix):].split(" => ")[0].split(", "))
    return set()


def test_example_inventory_passes_every_check():
    result = validate()
    assert result.returncode == 0, result.stdout[-4000:]
    for host in HOSTS:
        assert "%s" % host in result.stdout.split("PLAY RECAP")[-1]
    # Each cloud's storage rules, the Redis rules and the Slack rules ran where the inventory uses them.
    assert included_for(result.stdout, "storage") == set(HOSTS)
    assert included_for(result.stdout, "slack") == {"wandb-vision.example.com"}


def test_validate_names_the_bad_variable():
    result = validate("--limit", "wandb-vision.example.com", "-e", "storage_bucket=Bad_Name")
    assert result.returncode != 0
    assert "storage_bucket 'Bad_Name' is not a Cloud Storage bucket name" in result.stdout


def test_validate_checks_types_against_the_argument_specs():
    result = validate("--limit", "wandb-speech.example.com", "-e", "redis_port=notaport")
    assert result.returncode != 0
    assert "argument 'redis_port' is of type str" in result.stdout
