"""The wire: what the client core and the server agree on, each rule written once.

``http`` (request/response values), ``keys`` (series keys, ids and ``SeriesRef``), ``values``
(numbers a point may carry), ``timestamps`` (parse/format), ``intervals`` (the rollup grammar and
bucket alignment), ``query`` (query strings and filters) and ``endpoints`` (the table of calls,
their paths, parameters, bodies, answers and retry safety).  Nothing here does I/O, and nothing
here imports the client (``tempodb._core``) or the server (``tempodb.server``).  Rules break with
``InvalidInputError``; the client raises it as ``InvalidInputError``, the server answers 400.
The protocol these modules implement is described in ``docs/protocol.md``.
"""
