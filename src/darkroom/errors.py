"""Domain errors of the server side. The API layer maps each to an HTTP status in one place.

DarkroomError
 +-- Unauthorized          no or unknown API key
 +-- NotFound              unknown id, or one that belongs to another account
 +-- Conflict              the request does not fit the project's state
 +-- InsufficientCredits   the account cannot pay for the request
 +-- ToolDisabled          the tool needs a model file that is not configured
 +-- InvalidInput          a field's value is wrong; `field` names it
 +-- PayloadTooLarge       a body or file over its size limit
"""


class DarkroomError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unauthorized(DarkroomError):
    def __init__(self, message: str = "Unauthorized"):
        super().__init__(message)


class NotFound(DarkroomError):
    pass


class Conflict(DarkroomError):
    pass


class InsufficientCredits(DarkroomError):
    pass


class ToolDisabled(DarkroomError):
    pass


class InvalidInput(DarkroomError):
    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


class PayloadTooLarge(DarkroomError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field
