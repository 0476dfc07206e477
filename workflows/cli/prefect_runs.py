"""How a coordinator's command runs its flow: on the Prefect server in use, and then starts the round's next
step at once (workflows.follow_up)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from workflows.follow_up import Followed, advance_after

if TYPE_CHECKING:
    from workflows.prefect_server import PrefectApi


@contextmanager
def on_prefect() -> Iterator["PrefectApi"]:
    """Flows inside the block run on the Prefect server in use (see workflows.prefect_server); a configured
    server that does not answer raises PrefectUnreachable, which the command prints in one line."""
    from config.settings import get_settings
    from workflows.cli.output import messages
    from workflows.prefect_server import prefect_api, using

    _ = messages()
    meanwhile = _("start it, or run the round driver without Prefect: `spr round advance ROUND --direct`")
    with using(prefect_api(get_settings(), meanwhile)) as api:
        yield api


__all__ = ["Followed", "advance_after", "on_prefect"]
