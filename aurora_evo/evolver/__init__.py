"""The controller of a run: an :class:`Evolver` handed its parts, and the pure rules it follows."""
