"""Staff pages of the suppression lists (issue 16): the lists and a search
for an address, one list's entries (add, remove, upload, export) and its
change log. Flat function views over ``suppression.py``, as ``views.py``'s;
another customer's list is a 404 like a missing one."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from . import jobs, suppression, validators
from .forms import (
    SuppressionEntryForm,
    SuppressionListForm,
    SuppressionSearchForm,
    SuppressionUploadForm,
)
from .models import Outdial, SuppressionEntry, SuppressionList, SuppressionUpload
from .views import customer_page

ENTRIES_PAGE = 50
CHANGES_SHOWN = 20


def _lists(request):
    return SuppressionList.objects.owned_by(request.user.customer_id).live()


def _list(request, pk) -> SuppressionList:
    return get_object_or_404(_lists(request), pk=pk)


def _outdials(request):
    return Outdial.objects.owned_by(request.user.customer_id).live().order_by("name")


@customer_page
def suppression_lists(request):
    """The customer's lists, a new one, and a search for an address."""
    outdials = list(_outdials(request))
    form = SuppressionListForm(request.POST or None, outdials=outdials)
    if request.method == "POST" and form.is_valid():
        chosen = [o for o in outdials if str(o.pk) in form.cleaned_data["outdials"]]
        made = suppression.create_list(
            request.user.customer,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            outdials=chosen,
            user=request.user,
        )
        messages.success(request, f"The list “{made.name}” was created.")
        return redirect("suppression", made.pk)
    search = SuppressionSearchForm(request.GET or None)
    hits, searched = [], ""
    if search.is_valid() and search.cleaned_data["address"]:
        searched = search.cleaned_data["address"].strip()
        try:
            type_ = validators.infer_address_type(searched)
            hits = suppression.check(request.user.customer_id, type_, searched)
        except ValidationError as error:
            search.add_error("address", error)
    context = {
        "lists": _lists(request).order_by("name").prefetch_related("outdials"),
        "form": form,
        "search": search,
        "hits": hits,
        "searched": searched,
    }
    return render(request, "outdials/suppression_lists.html", context)


@customer_page
def suppression_detail(request, pk):
    """One list: its entries newest first (``?after=`` pages by id), the
    forms to add one and upload many, and its latest changes."""
    found = _list(request, pk)
    try:
        entries, after = suppression.page(
            SuppressionEntry.objects.filter(list=found),
            request.GET.get("after", ""),
            ENTRIES_PAGE,
        )
    except ValueError:
        entries, after = suppression.page(
            SuppressionEntry.objects.filter(list=found), "", ENTRIES_PAGE
        )
    context = {
        "list": found,
        "entries": entries,
        "after": after,
        "form": SuppressionEntryForm(),
        "upload_form": SuppressionUploadForm(),
        "changes": found.changes.order_by("-id")[:CHANGES_SHOWN],
        "uploads": found.uploads.order_by("-tm_create")[:5],
    }
    return render(request, "outdials/suppression_detail.html", context)


@customer_page
@require_POST
def suppression_add(request, pk):
    found = _list(request, pk)
    form = SuppressionEntryForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("suppression", pk)
    data = form.cleaned_data
    entry, created = suppression.add(
        found,
        type_=data["type"],
        address=data["address"],
        kind=data["kind"],
        tm_expire=data.get("tm_expire"),
        reason=data.get("reason", ""),
        user=request.user,
    )
    verb = "added" if created else "renewed"
    messages.success(request, f"{entry} was {verb}.")
    return redirect("suppression", pk)


@customer_page
@require_POST
def suppression_remove(request, pk, entry_pk):
    found = _list(request, pk)
    entry = get_object_or_404(SuppressionEntry, list=found, pk=entry_pk)
    suppression.remove(found, entry, user=request.user)
    messages.success(request, f"{entry} was removed; it may be dialed again.")
    return redirect("suppression", pk)


@customer_page
@require_POST
def suppression_upload(request, pk):
    """A CSV of entries, loaded by a background job (millions of rows)."""
    found = _list(request, pk)
    form = SuppressionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("suppression", pk)
    file = form.cleaned_data["file"]
    upload = suppression.queue_load(found, file, file_name=file.name, user=request.user)
    return redirect("suppression-upload", pk, upload.pk)


@customer_page
def suppression_upload_detail(request, pk, upload_pk):
    found = _list(request, pk)
    upload = get_object_or_404(SuppressionUpload, list=found, pk=upload_pk)
    context = {
        "list": found,
        "upload": upload,
        "open": upload.status in jobs.OPEN,
    }
    return render(request, "outdials/suppression_upload.html", context)


@customer_page
@require_POST
def suppression_delete(request, pk):
    """Delete a list: it stops applying at once; a big list's entries are
    removed by a background job, whose progress the next page shows."""
    # A deleted list too: asking again removes what a stopped job left.
    found = get_object_or_404(
        SuppressionList.objects.owned_by(request.user.customer_id), pk=pk
    )
    job = suppression.delete_list(found, user=request.user)
    if job is not None:
        return redirect("suppression-deletion", pk)
    messages.success(request, f"The list “{found.name}” was deleted.")
    return redirect("suppressions")


@customer_page
def suppression_deletion(request, pk):
    """The progress of a big list's deletion (the list is deleted already)."""
    found = get_object_or_404(
        SuppressionList.objects.owned_by(request.user.customer_id), pk=pk
    )
    job = found.uploads.filter(kind="delete").order_by("-tm_create").first()
    if job is None:
        raise Http404
    context = {"list": found, "job": job, "open": job.status in jobs.OPEN}
    return render(request, "outdials/suppression_deletion.html", context)


@customer_page
def suppression_export(request, pk):
    """The list's entries as CSV, streamed."""
    found = _list(request, pk)
    response = StreamingHttpResponse(
        suppression.export_lines(found), content_type="text/csv; charset=utf-8"
    )
    name = slugify(found.name) or "suppression-list"
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-entries.csv"
    )
    return response
