"""The base as a published database: Datasette metadata and serving (``kb serve``, ``kb export
--datasette``), and the plugins that let Datasette and sqlite-utils search it as kb does.

Nothing here is imported by the other commands: Datasette is an optional extra (``kbcli[web]``),
and the plugins, which Datasette and sqlite-utils load in every run, import kbcli's query layer
only when they meet a kb database.
"""
