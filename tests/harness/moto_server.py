"""Starts moto's server (the local AWS emulator) with one gap filled.

moto 5.2.x implements Organizations policies, but refuses CreatePolicy for Type=BACKUP_POLICY only because it has
no ARN format for that type (NotImplementedError in FakePolicy.__init__). This launcher gives BACKUP_POLICY the ARN
format AWS uses (arn:<partition>:organizations::<management>:policy/<org>/backup_policy/<id>); create, describe,
update, list, attach, detach and delete then run moto's own code, exactly as for TAG_POLICY. Nothing else is changed.
Usage: python moto_server.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.organizations import models
from moto.server import main

BACKUP_POLICY_ARN_FORMAT = "arn:{0}:organizations::{1}:policy/{2}/backup_policy/{3}"
_original_init = models.FakePolicy.__init__


def _init(self, organization, **kwargs):
    if kwargs.get("Type") != "BACKUP_POLICY":
        _original_init(self, organization, **kwargs)
        return
    _original_init(self, organization, **dict(kwargs, Type="TAG_POLICY"))
    self.type = "BACKUP_POLICY"
    self._arn_format = BACKUP_POLICY_ARN_FORMAT


models.FakePolicy.__init__ = _init

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
