"""Label printing, by concern.

- ``sheet_templates``: the sheet templates (built-in and admins' own);
- ``selection``: what goes on which label (the request, validation, the labels in order);
- ``printing``: a PDF rendered in the request (small prints) and the print record;
- ``jobs``: large prints as background jobs (run through ``growapp.jobs``).

The web and API layers decide the QR base URL (``growapp.labels.qr_base_url``) and pass it
in.
"""
