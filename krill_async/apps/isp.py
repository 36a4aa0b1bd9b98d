"""``/api/v2/isp/``: the CRM of customers, CPEs and POTS lines."""

from __future__ import annotations

from .._actions import CpeResource
from .._resource import App, Resource, declare
from ..models import Cpe, Customer, Pots
from ..models.profiles import CpeProfile


class Isp(App):
    """Customers, CPEs and POTS lines. POTS lines are created by Krill with their CPE (the API refuses
    POST and DELETE on them since 2022)."""

    name = "isp"

    customers: declare[Resource[Customer]] = declare("customers", Customer)
    cpes: declare[CpeResource] = declare("cpes", Cpe, resource_class=CpeResource)
    potses: declare[Resource[Pots]] = declare("potses", Pots)
    cpe_profiles: declare[Resource[CpeProfile]] = declare("cpe-profiles", CpeProfile)
