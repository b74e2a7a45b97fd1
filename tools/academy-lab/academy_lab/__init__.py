"""academy-lab: run an SRE Academy lab's checks on the trainee's lab machine and submit the lab with them."""

__version__ = "1.0.0"
