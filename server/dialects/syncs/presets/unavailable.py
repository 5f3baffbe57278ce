"""Why the other SaaS providers of the seed's enum are not presets.

A preset is honest only where the provider's public API is a plain
paginated JSON API that the `http_api` connector can read as it is: GET
requests, a static credential, a fixed catalog of endpoints. Each reason
names what is missing, so the catalog answers more than "not installed".
"""

from __future__ import annotations

NOT_RUNNABLE: dict[str, str] = {
    "flexiroam": "Flexiroam's partner API is not publicly documented; a preset could not be checked against its real shape",
    "starlink": (
        "Starlink's enterprise API needs an OAuth client-credentials token exchange and is documented only to"
        " enterprise customers; http_api sends a static credential"
    ),
    "google_drive": (
        "Google Drive needs OAuth 2.0 access tokens that expire within an hour and must be refreshed;"
        " http_api sends a static credential"
    ),
    "msft_sharepoint": (
        "SharePoint (Microsoft Graph) needs OAuth 2.0 tokens from Entra ID that expire and must be renewed;"
        " http_api sends a static credential"
    ),
    "amazon_sp": (
        "The Selling Partner API needs Login-with-Amazon token exchanges, and its reports are asynchronous"
        " (create, poll, download a document): not a plain paginated JSON API"
    ),
    "salesforce": (
        "Salesforce needs refreshed OAuth access tokens, and its objects are org-specific (discovered by describe,"
        " read by SOQL queries): not a fixed catalog of endpoints"
    ),
    "netsuite": "NetSuite signs every request with OAuth 1.0 token-based authentication (HMAC), which http_api does not do",
    "mlflow": (
        "MLflow's runs and metrics are read with POST search requests (runs/search); the http_api connector"
        " only sends GET requests"
    ),
    "gmail_inbox": (
        "Gmail needs OAuth 2.0 access tokens that expire within an hour, and its message list returns ids only"
        " (one request per message)"
    ),
    "dropbox": (
        "Dropbox's API is RPC-style POST (files/list_folder, list_folder/continue) with short-lived OAuth tokens;"
        " http_api sends GET requests with a static credential"
    ),
    "rydership": (
        "Rydership's API reference (formerly Whiplash) is not public enough to check its list endpoints,"
        " pagination and auth against; a preset would be guesswork"
    ),
    "bullhorn": (
        "Bullhorn's REST API needs an OAuth login that returns a per-session BhRestToken and REST URL;"
        " http_api sends a static credential to a fixed base URL"
    ),
}

__all__ = ["NOT_RUNNABLE"]
