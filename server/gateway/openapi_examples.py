"""Examples for the OpenAPI document, taken from the API contract each dialect imitates (its published
documentation: the run-profile object, the execute answer, the sync-job-run fields, the syncs objects).

Keyed by message full name; each is written in the dialect's JSON naming. tests/unit/test_openapi_docs.py
validates every example against the schema the document gives its message, so an example cannot drift
from the messages.
"""

from __future__ import annotations

from typing import Any

_UUID_SYNC = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
_UUID_RUN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
_UUID_CONNECTION = "0b6f5c1e-2f43-4a86-9b5e-7d7b3f0c9a11"
_AT = "2019-08-24T14:15:22Z"

EXAMPLES: dict[str, dict[str, Any]] = {
    # identity dialect (camelCase)
    "syncplane.identity.v1.RunProfile": {
        "id": 1,
        "name": "Delta Import",
        "connectedSystemId": 1,
        "runType": "DeltaImport",
        "pageSize": 100,
        "partitionName": None,
        "filePath": None,
    },
    "syncplane.identity.v1.ExecuteRunProfileResponse": {
        "activityId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "taskId": "b2c3d4e5-f6a7-8901-bcde-f12345678901",
        "message": "Run profile execution queued successfully.",
        "warnings": [],
    },
    # jobs dialect (snake_case)
    "syncplane.jobs.v1.CreateSyncJobRunRequest": {
        "sync_job_id": "1ba1f401-7183-47c5-9e39-e8e257e3c795",
        "integrated_account_id": "94801e49-a652-42f9-af14-dd203d7897da",
        "args": {"project_slug": "vcs_provider/org_name/repo_name"},
        "daemon_group_key": "default",
        "error_handling": "ignore",
    },
    "syncplane.jobs.v1.SyncJobRun": {
        "id": "05daecaf-4365-42e8-8370-8127de5dd717",
        "sync_job_id": "4a4de828-f4db-4c9e-adfd-434e0864c3c7",
        "integrated_account_id": "94801e49-a652-42f9-af14-dd203d7897da",
        "status": "running",
        "daemon_id": "default",
        "daemon_group_key": "default",
        "args": {"project_slug": "vcs_provider/org_name/repo_name"},
        "error_handling": "ignore",
        "created_at": "2021-08-10T10:00:00.000Z",
        "updated_at": "2021-08-10T10:00:00.000Z",
        "started_at": "2021-08-10T10:00:00.000Z",
    },
    # syncs dialect (camelCase)
    "syncplane.syncs.v1.Sync": {
        "id": _UUID_SYNC,
        "name": "orders to warehouse",
        "connectionId": _UUID_CONNECTION,
        "providerKey": "postgres",
        "entities": ["orders"],
        "status": "active",
        "triggerMode": "manual",
        "executionBackend": "native",
        "executionMode": "sequential",
        "createdAt": _AT,
        "updatedAt": _AT,
    },
    "syncplane.syncs.v1.SyncRun": {
        "id": _UUID_RUN,
        "syncId": _UUID_SYNC,
        "status": "succeeded",
        "runMode": "incremental",
        "attemptNumber": 1,
        "attemptRootRunId": _UUID_RUN,
        "triggeredBy": "manual",
        "executionBackend": "native",
        "executionMode": "sequential",
        "resultClass": "success",
        "resultReasonCode": "completed",
        "summary": {"rowsWritten": 3000, "phase": "done"},
        "createdAt": _AT,
        "startedAt": _AT,
        "completedAt": _AT,
        "updatedAt": _AT,
    },
}
