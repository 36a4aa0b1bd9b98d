"""``/api/v2/isp/``: the CRM of customers, CPEs and POTS lines, and the CPEs' actions and links.

Modules: `.targets` (action and link names, CPE identity), `.layout` (which path to try, pure),
`.resolve` (reaching it, one informed retry), `.related` (links), `.actions` (actions and
bulk), `.ref` (a CPE handle).
"""

from __future__ import annotations

from ..._resource import App, Resource, declare
from ...models import Cpe, Customer, Pots
from ...models.profiles import CpeProfile
from .actions import CpeResource
from .layout import ISP_TEMPLATE, VENDOR_TEMPLATE, LayoutMemory
from .ref import CpeRef

__all__ = ["ISP_TEMPLATE", "VENDOR_TEMPLATE", "CpeRef", "CpeResource", "Isp", "LayoutMemory"]


class Isp(App):
    """Customers, CPEs and POTS lines. POTS lines are created by Krill with their CPE (the API refuses
    POST and DELETE on them since 2022)."""

    name = "isp"

    customers: declare[Resource[Customer]] = declare("customers", Customer)
    cpes: declare[CpeResource] = declare("cpes", Cpe, resource_class=CpeResource)
    potses: declare[Resource[Pots]] = declare("potses", Pots)
    cpe_profiles: declare[Resource[CpeProfile]] = declare("cpe-profiles", CpeProfile)
