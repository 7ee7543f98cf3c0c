"""An app module with its own exception type, for the qualified `exception.type` check."""


class PaymentDeclined(Exception):
    pass
