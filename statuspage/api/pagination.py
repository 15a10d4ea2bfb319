from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Page numbers from 1; ``page_size`` 1 to 500. A malformed value is a 400 naming it, not a silent default."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= self.max_page_size:
            raise exceptions.ValidationError(
                {"detail": _("page_size must be a whole number from 1 to %(max)d.") % {"max": self.max_page_size}}
            )
        return int(text)

    def paginate_queryset(self, queryset, request, view=None):
        text = request.query_params.get(self.page_query_param)
        if text is not None and (not text.isascii() or not text.isdigit() or int(text) < 1 or len(text) > 9):
            raise exceptions.ValidationError({"detail": _("page must be a whole number from 1.")})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999999999}
                parameter["description"] = "A page number from 1; past the last page is a 404."
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
