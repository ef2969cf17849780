"""Conversation flows of the official account, one module each.

Every module in this package is imported at start-up, so a new flow (appeal filing,
provider rating, survey answering ...) is a new file here defining a `Flow` subclass
with `@flow("name")`, plus whatever starts it (`@router.click`, `@router.keyword`,
`@router.scene`) calling `handlers.conversation.start_flow`.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
