"""Staff pages: flat function views over the signed-in user's customer's data.

Every lookup goes through ``queries.py`` with ``request.user.customer_id``, so
another customer's id is a 404 exactly like a missing one. Writes go through
``targets.py`` (and the dialing, import and export modules), never around
them; a target a dialer holds is refused there, with a message here.
"""

import uuid
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import Count
from django.http import FileResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import (
    bulk,
    counting,
    dialing,
    exporting,
    guards,
    importing,
    jobs,
    paging,
    policy,
    queries,
    targets,
)
from .filters import OUTCOMES as OUTCOME_WORDS
from .filters import InvalidFilters, TargetFilter, filtered_targets
from .forms import (
    CallbackForm,
    OutdialForm,
    PolicyForm,
    ReviewForm,
    SearchForm,
    TargetFilterForm,
    TargetForm,
    UploadForm,
)
from .importing import background
from .models import (
    NIL_UUID,
    ImportBatch,
    JobStatus,
    Outdial,
    OutdialTarget,
    TargetsJob,
    TargetStatus,
)
from .paging import window

PAGE_SIZE = 50
ATTEMPT_LOG_SIZE = 50
STATUSES = TargetStatus.values


def customer_page(view):
    """Signed in, and a member of a customer (operators use the admin). The
    answer is one customer's data: no cache may keep it."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.customer_id is None:
            return render(request, "outdials/no_customer.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _outdial(request, pk) -> Outdial:
    """The caller's live outdial ``pk``."""
    queryset = queries.outdials_of(request.user.customer_id, live=True)
    return get_object_or_404(queryset, pk=pk)


def _target(request, outdial_pk, pk) -> OutdialTarget:
    """The live target ``pk`` of the caller's live outdial, with its outdial and
    destinations, in two queries."""
    queryset = queries.targets_of(request.user.customer_id, outdial_pk, live=True)
    queryset = queryset.select_related("outdial", "outdial__policy").with_destinations()
    return get_object_or_404(queryset, pk=pk)


def _window(request, queryset, order=paging.NEWEST):
    """A keyset page from ``?after=`` / ``?before=``; a link whose token was
    tampered with shows the first page rather than an error."""
    after, before = request.GET.get("after", ""), request.GET.get("before", "")
    return window(queryset, after=after, before=before, size=PAGE_SIZE, order=order)


def _table_query(request) -> str:
    """The targets table's filters and order, as a target's links carry
    them (back to the same table, to the previous and next target)."""
    kept = {k: vs for k, vs in request.GET.lists() if k in TABLE_PARAMS and any(vs)}
    return urlencode(kept, doseq=True)


def _back_query(request) -> str:
    query = _table_query(request)
    return f"?{query}" if query else ""


def _query(request, **changes) -> str:
    """The current filters with paging dropped and ``changes`` applied;
    a filter given several times (checkboxes) keeps every value."""
    params = {
        k: values for k, values in request.GET.lists() if k not in ("after", "before")
    }
    params.update({k: [v] for k, v in changes.items()})
    return urlencode(
        {k: [v for v in vs if v] for k, vs in params.items() if any(vs)}, doseq=True
    )


def _status_bar(counts: dict) -> dict:
    """Geometry and words of a stacked done/progressing/idle bar (inline SVG)."""
    total = sum(counts.get(status, 0) for status in STATUSES)
    parts, x = [], 0.0
    for status in ("done", "progressing", "idle"):
        width = 100.0 * counts.get(status, 0) / total if total else 0.0
        if width:
            parts.append({"status": status, "x": f"{x:.2f}", "width": f"{width:.2f}"})
        x += width
    words = ", ".join(
        f"{counts.get(s, 0):,} {s}" for s in ("done", "progressing", "idle")
    )
    done = counts.get("done", 0)
    return {
        "parts": parts,
        "text": f"{done:,} of {total:,} done" if total else "no targets",
        "label": f"{words} of {total:,} targets" if total else "No targets",
    }


def _bars(values: list[int]) -> list[dict]:
    """Bars of a small chart, each as a percentage of the largest value."""
    top = max(values, default=0) or 1
    return [
        {"index": i, "value": v, "width": f"{100.0 * v / top:.2f}"}
        for i, v in enumerate(values)
    ]


def _progress(outdial) -> dict:
    """The progress panel's figures, all from ``dialing.summary``."""
    summary = dialing.summary(outdial)
    return {
        "summary": summary,
        "as_of": timezone.now(),
        "bar": _status_bar(summary["status"]),
        "destination_bars": _bars(summary["attempts_by_destination"]),
        "attempts_total": sum(summary["attempts_by_destination"]),
        "outcomes": [
            (key, key.replace("_", " ").capitalize(), n)
            for key, n in summary["outcomes"].items()
            if n
        ],
    }


def _target_row(target) -> dict:
    """What the targets table shows of one target, from prefetched slots."""
    filled = [slot for slot in target.slots() if slot is not None]
    return {
        "target": target,
        "first": filled[0].target if filled else "",
        "first_slot": filled[0] if filled else None,
        "more": len(filled) - 1 if filled else 0,
        "tries": sum(slot.try_count for slot in filled),
        "outcome": target.last_outcome.replace("_", " ").capitalize(),
    }


@require_POST
def sign_out(request):
    """Django's logout (a POST, so a link elsewhere cannot sign anyone out),
    which ends the user's API login tokens as well, then a word on the
    sign-in page."""
    logout(request)  # ends the user's API tokens too (credentials.py)
    messages.info(request, "You are signed out.")
    response = redirect("login-page")
    response.delete_cookie("token", samesite="Lax")
    return response


@customer_page
def home(request):
    return redirect("outdial-list")


@customer_page
def outdial_list(request):
    search = SearchForm(request.GET)
    queryset = queries.outdials_of(request.user.customer_id, live=True)
    if search.is_valid() and search.cleaned_data["q"]:
        queryset = queryset.filter(name__icontains=search.cleaned_data["q"])
    page = _window(request, queryset)
    # One grouped count for the whole page: targets by outdial and status.
    counts: dict = {outdial.pk: {} for outdial in page.items}
    for outdial_id, status, n in (
        OutdialTarget.objects.live()
        .filter(outdial_id__in=list(counts))
        .values_list("outdial_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[outdial_id][status] = n
    rows = [
        {
            "outdial": outdial,
            "campaign": "" if outdial.campaign_id == NIL_UUID else outdial.campaign_id,
            "bar": _status_bar(counts[outdial.pk]),
        }
        for outdial in page.items
    ]
    context = {"search": search, "page": page, "rows": rows, "query": _query(request)}
    return render(request, "outdials/outdial_list.html", context)


@customer_page
def outdial_new(request):
    form = OutdialForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            outdial = targets.create_outdial(
                request.user.customer_id, **form.cleaned_data
            )
            messages.success(request, f"Created the outdial “{outdial}”.")
            return redirect("outdial", outdial.pk)
        messages.error(request, "The outdial was not created: fix the fields below.")
    return render(request, "outdials/outdial_new.html", {"form": form})


def _sort_link(request, order, column: str) -> dict:
    """A column header's link: the column's order, newest first, or the
    other way round when the table is sorted by it already."""
    current = order.name.lstrip("-") == column
    name = column if current and order.descending else f"-{column}"
    direction = "descending" if order.descending else "ascending"
    return {
        "href": "?" + _query(request, order=name),
        "sort": direction if current else "",
        "arrow": ("↓" if order.descending else "↑") if current else "",
        "next": paging.ORDERS[name].label,
    }


def _targets_table(request, outdial) -> dict:
    """The filter form, the filtered page of targets and the links around it."""
    try:
        queryset = filtered_targets(outdial.pk, request.GET, outdial.region)
    except InvalidFilters:
        queryset = OutdialTarget.objects.none()
    order = paging.order_named(request.GET.get("order", ""))
    page = _window(request, queryset.with_destinations(), order)
    imports = outdial.imports.filter(dry_run=False).order_by("-tm_create")
    return {
        "sort_links": {
            column: _sort_link(request, order, column)
            for column in ("created", "last_attempt")
        },
        "filter_form": TargetFilterForm(
            request.GET, imports=imports[:IMPORT_HISTORY_SIZE]
        ),
        "queryset": queryset,
        "order": order,
        "orders": paging.ORDERS.values(),
        "table_query": _table_query(request),
        "page": page,
        "rows": [_target_row(target) for target in page.items],
        "query": _query(request),
        "filtered": any(request.GET.get(name) for name in TABLE_FILTERS),
    }


@customer_page
def outdial_detail(request, pk):
    outdial = _outdial(request, pk)
    form = OutdialForm(request.POST or None, initial=OutdialForm.initial_for(outdial))
    if request.method == "POST":
        if form.is_valid():
            targets.update_fields(outdial, **form.cleaned_data)
            messages.success(request, "Saved the outdial.")
            return redirect("outdial", outdial.pk)
        messages.error(request, "The outdial was not saved: fix the fields below.")
    return _outdial_page(
        request, outdial, form, PolicyForm(initial=PolicyForm.initial_for(outdial))
    )


def _outdial_page(request, outdial, form, policy_form, status=200):
    progress = _progress(outdial)
    table = _targets_table(request, outdial)
    context = {
        "outdial": outdial,
        "form": form,
        "policy_form": policy_form,
        **progress,
        **table,
        "matching": _matching(request, outdial, progress["summary"], table["queryset"]),
    }
    return render(request, "outdials/outdial_detail.html", context, status=status)


@customer_page
@require_POST
def outdial_policy(request, pk):
    """The outdial's dialing policy, from the form on its page."""
    outdial = _outdial(request, pk)
    form = PolicyForm(request.POST)
    if form.is_valid():
        policy.save(outdial, form.policy)
        messages.success(request, "Saved the dialing policy.")
        return redirect("outdial", outdial.pk)
    messages.error(request, "The dialing policy was not saved: fix the fields below.")
    edit = OutdialForm(initial=OutdialForm.initial_for(outdial))
    return _outdial_page(request, outdial, edit, form, status=400)


def _matching(request, outdial, summary, queryset) -> counting.Tally:
    """How many targets the table's filters match: from the summary's exact
    counts when the filter is by status alone, else counted (exact up to
    10,000, then an estimate; ``counting``), the outdial's live targets
    sampled against the summary's total."""
    status = request.GET.get("status", "")
    if not any(request.GET.get(name) for name in TABLE_FILTERS if name != "status"):
        return counting.Tally(
            summary["status"].get(status, 0) if status else summary["total"]
        )
    return counting.matching_count(
        queryset,
        within=OutdialTarget.objects.live().filter(outdial=outdial),
        size=summary["total"],
    )


@customer_page
def target_new(request, pk):
    outdial = _outdial(request, pk)
    form = TargetForm(request.POST or None, region=outdial.region)
    if request.method == "POST":
        if form.is_valid():
            target = targets.create_target(outdial, slots=form.slots(), **form.texts())
            messages.success(request, f"Added the target “{target}”.")
            return redirect("target", outdial.pk, target.pk)
        messages.error(request, "The target was not added: fix the fields below.")
    context = {"outdial": outdial, "form": form}
    return render(request, "outdials/target_new.html", context)


def _allowed(request, write) -> bool:
    """Run a guarded write to a target: a target a dialer holds is refused
    with its reason as a message; one deleted meanwhile is a 404."""
    try:
        write()
    except guards.TargetGone:
        raise Http404 from None
    except guards.TargetInProgress as refused:
        messages.error(request, refused.message)
        return False
    return True


@customer_page
def target_detail(request, pk, target_pk):
    target = _target(request, pk, target_pk)
    form = TargetForm(request.POST or None, target=target)
    if request.method == "POST":
        if form.is_valid():
            if _allowed(
                request,
                lambda: targets.update_target(
                    target, slots=form.slots(), **form.texts()
                ),
            ):
                messages.success(request, "Saved the target.")
                back = reverse("target", args=[pk, target.pk])
                return redirect(back + _back_query(request))
        else:
            messages.error(request, "The target was not saved: fix the fields below.")
    return _target_page(request, target, form)


def _target_page(request, target, form, callback_form=None, status=200):
    log = list(dialing.attempts(target)[: ATTEMPT_LOG_SIZE + 1])
    rules = policy.rules_of(target.outdial)
    zone = rules.zone_of(target)
    now = timezone.now()
    following = target.tm_next_attempt
    if following is not None and following <= now:
        following = None
    if callback_form is None:
        initial = {}
        if following is not None:
            local = following.astimezone(policy.zone_info(zone))
            initial["when"] = local.strftime("%Y-%m-%dT%H:%M")
        callback_form = CallbackForm(zone=zone, initial=initial)
    held_until = None
    if target.status == TargetStatus.PROGRESSING:
        # Read-only while a dialer holds it: saying when beats a refusal.
        held_until = dialing.lease_end(target)
        for field in form.fields.values():
            field.disabled = True
    today = target.day_attempts
    if target.tm_day_end is None or target.tm_day_end <= now:
        today = 0
    try:
        matching = filtered_targets(target.outdial_id, request.GET)
    except InvalidFilters:
        matching = OutdialTarget.objects.none()
    order = paging.order_named(request.GET.get("order", ""))
    previous, following_target = paging.neighbours(matching, target, order)
    context = {
        "outdial": target.outdial,
        "target": target,
        "form": form,
        "back_query": _back_query(request),
        "previous_target": previous,
        "next_target": following_target,
        "zone": zone,
        "zone_is_default": not target.time_zone,
        "next_attempt": following,
        # Formatted here: the date filter would show any time in UTC.
        "next_attempt_local": _local(following, zone) if following else "",
        "attempts_today": today,
        "daily_cap": rules.daily_cap,
        "callback_form": callback_form,
        "tries": sum(d.try_count for d in target.slots() if d is not None),
        "can_reopen": target.status == TargetStatus.DONE,
        "used_up": target.status != TargetStatus.PROGRESSING
        and dialing.used_up(target),
        "held_until": held_until,
        "attempts": log[:ATTEMPT_LOG_SIZE],
        "attempts_more": len(log) > ATTEMPT_LOG_SIZE,
    }
    return render(request, "outdials/target_detail.html", context, status=status)


def _local(moment, zone: str) -> str:
    return f"{moment.astimezone(policy.zone_info(zone)):%Y-%m-%d %H:%M}"


@customer_page
@require_POST
def target_callback(request, pk, target_pk):
    """Set or clear a callback: the target is not dialed before it."""
    target = _target(request, pk, target_pk)
    zone = policy.rules_of(target.outdial).zone_of(target)
    form = CallbackForm(request.POST, zone=zone)
    if form.is_valid():
        when = form.cleaned_data["when"]
        try:
            policy.schedule(target, when)
        except guards.Refused as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                "Cleared the callback."
                if when is None
                else f"The target will not be dialed before {when:%Y-%m-%d %H:%M} UTC.",
            )
        return redirect("target", pk, target.pk)
    messages.error(request, "The callback was not set: fix the field below.")
    return _target_page(request, target, TargetForm(target=target), form, status=400)


@customer_page
@require_POST
def target_reopen(request, pk, target_pk):
    """Back to ``idle`` so the dialer may try it again (while attempts
    remain); with ``reset``, its try counts back to 0 as well, so a target
    that used its attempts is dialed again from its first destination."""
    target = _target(request, pk, target_pk)
    back = redirect(reverse("target", args=[pk, target.pk]) + _back_query(request))
    if request.POST.get("reset"):
        one = OutdialTarget.objects.filter(pk=target.pk)
        _, held = dialing.reset_try_counts(one)
        if held:
            messages.error(request, guards.TargetInProgress("re-open it").message)
        else:
            messages.success(
                request,
                "Re-opened the target with its try counts reset to 0: the "
                "dialer will try it again from its first destination.",
            )
        return back
    if _allowed(request, lambda: dialing.set_status(target, TargetStatus.IDLE)):
        if dialing.used_up(target):
            messages.warning(
                request,
                "Re-opened the target: it is idle, but every destination has "
                "used its attempts, so the dialer will not take it until its "
                "try counts are reset.",
            )
        else:
            messages.success(request, "Re-opened the target: it is idle again.")
    return back


@customer_page
def target_delete(request, pk, target_pk):
    target = _target(request, pk, target_pk)
    if request.method == "POST":
        if not _allowed(request, lambda: targets.delete_target(target)):
            return redirect("target", pk, target.pk)
        messages.success(request, f"Deleted the target “{target}”.")
        return redirect("outdial", pk)
    context = {"outdial": target.outdial, "target": target}
    return render(request, "outdials/target_delete.html", context)


BULK_ACTIONS = {
    "idle": ("Reset to idle", "Reset {n} to idle"),
    "done": ("Mark done", "Marked {n} done"),
    "delete": ("Delete", "Deleted {n}"),
    "redial": ("Reset try counts", "Reset the try counts of {n}"),
    "export": ("Export CSV", ""),
}
TABLE_FILTERS = tuple(TargetFilter.base_filters)
TABLE_PARAMS = (*TABLE_FILTERS, "order")


BULK_OUTLOOK = {
    "idle": "{n} will be reset to idle",
    "done": "{n} will be marked done",
    "delete": "{n} will be deleted",
    "redial": "{n} will have their try counts reset",
}


def _outlook(action: str, tally: counting.Tally, held: int) -> str:
    """What a confirmed bulk change will do, counting the targets a dialer
    holds (left alone) before the person confirms."""
    if tally.exact:
        text = BULK_OUTLOOK[action].format(n=f"{tally.value - held:,}")
    else:
        text = BULK_OUTLOOK[action].format(n=str(tally))
        text = text[0].upper() + text[1:]
    if held:
        verb = "is" if held == 1 else "are"
        text += f"; {held:,} {verb} being dialed and will be left"
    return text + "."


def _described(filters: dict) -> str:
    """The table's filters in words, for a confirmation."""
    outcomes = dict(OUTCOME_WORDS)
    words = []
    if filters.get("status"):
        words.append(f"with status {filters['status']}")
    if filters.get("outcome"):
        named = [outcomes.get(v, v) for v in filters["outcome"].split(",")]
        words.append("whose last outcome is " + " or ".join(named))
    if filters.get("exhausted") in ("true", "false"):
        words.append(
            "that are exhausted"
            if filters["exhausted"] == "true"
            else "that are not exhausted"
        )
    if filters.get("import_batch"):
        words.append("from one import")
    if filters.get("tries_min"):
        words.append(f"tried at least {filters['tries_min']} times")
    if filters.get("tries_max"):
        words.append(f"tried at most {filters['tries_max']} times")
    if filters.get("q"):
        words.append(f"whose name or address contains “{filters['q']}”")
    return ", ".join(words)


def _selected(outdial, ids: list[str]):
    """The live targets of ``outdial`` among ``ids``; ids that are not UUIDs
    or not in this outdial are left out."""
    valid = []
    for value in ids[: PAGE_SIZE * 2]:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    return OutdialTarget.objects.live().filter(outdial=outdial, pk__in=valid)


@customer_page
@require_POST
def targets_bulk(request, pk):
    """Bulk actions on the selected rows or on every target matching the
    table's filters: a confirmation page (how many, how many a dialer holds
    and will be skipped), then the change, or a job with its progress page
    when the change is large."""
    outdial = _outdial(request, pk)
    action = request.POST.get("action", "")
    # Several values of one filter (checkboxes) are kept, comma-separated.
    back_query = {
        k: ",".join(vs) for k, vs in QueryDict(request.POST.get("back", "")).lists()
    }
    back = reverse("outdial", args=[outdial.pk])
    if back_query:
        back += "?" + urlencode(back_query)
    everything = request.POST.get("scope") == "all"
    filters = {k: v for k, v in back_query.items() if k in TABLE_FILTERS and v}
    if everything:
        chosen = bulk.matching(outdial, filters)
    else:
        chosen = _selected(outdial, request.POST.getlist("ids"))
    if action not in BULK_ACTIONS or chosen is None or not chosen.exists():
        messages.error(request, "Select one or more targets and an action first.")
        return redirect(back)
    tally = _bulk_tally(outdial, filters, chosen, everything)
    large = everything and (not tally.exact or bulk.is_large(tally.value))
    if action == "export":
        return _bulk_export(request, outdial, chosen, filters, large, tally)
    if request.POST.get("confirm") != "yes":
        held = bulk.held(chosen)
        context = {
            "outdial": outdial,
            "action": action,
            "action_label": BULK_ACTIONS[action][0],
            "everything": everything,
            "filters": filters,
            "described": _described(filters),
            "count": tally,
            "held": held,
            "outlook": _outlook(action, tally, held),
            "large": large,
            "selected": []
            if everything
            else list(chosen.order_by("-tm_create", "-pk")),
            "back": back,
            "back_query": request.POST.get("back", ""),
        }
        return render(request, "outdials/bulk_confirm.html", context)
    if large:
        job = bulk.queue(outdial, action, filters, request.user, _known(tally))
        return redirect("targets-job", pk, job.pk)
    count = tally.value
    changed, skipped = bulk.apply(action, chosen)
    done = BULK_ACTIONS[action][1].format(n=_counted(changed, "target"))
    if count - changed - skipped:
        done += f"; {count - changed - skipped:,} already were"
    if skipped:
        done += f"; left {_counted(skipped, 'target')} alone while being dialed"
    messages.success(request, done + ".")
    return redirect(back)


def _bulk_export(request, outdial, chosen, filters, large, tally):
    """The selected rows stream at once; all matching ones too while few,
    else as a job whose file is downloaded when complete."""
    if large:
        job = bulk.queue(outdial, "export", filters, request.user, _known(tally))
        return redirect("targets-job", outdial.pk, job.pk)
    return _csv_response(outdial, chosen)


def _bulk_tally(outdial, filters, chosen, everything) -> counting.Tally:
    """How many targets a bulk change is for, as the table counts them
    (``counting``): a broad search over a big list is not counted in the
    request, which it would hold for seconds; its job counts it."""
    if not everything:
        return counting.Tally(chosen.count())
    live = OutdialTarget.objects.live().filter(outdial=outdial)
    size = live.count()
    if not filters:
        return counting.Tally(size)
    return counting.matching_count(chosen, within=live, size=size)


def _known(tally: counting.Tally) -> int | None:
    """A job's total: the count when exact, else left for the job."""
    return tally.value if tally.exact else None


@customer_page
def targets_job(request, pk, job_pk):
    """A bulk change or export running as a job: its progress, then what it
    did (an export's file to download)."""
    outdial = _outdial(request, pk)
    job = get_object_or_404(TargetsJob, pk=job_pk, outdial=outdial)
    context = {"outdial": outdial, "job_row": job, "job": _job_view(job)}
    return render(request, "outdials/targets_job.html", context)


@customer_page
@require_POST
def targets_job_cancel(request, pk, job_pk):
    outdial = _outdial(request, pk)
    job = get_object_or_404(TargetsJob, pk=job_pk, outdial=outdial)
    if jobs.cancel(job):
        messages.success(request, "Cancelled the job at its next step.")
    else:
        messages.error(request, "The job had ended already.")
    return redirect("targets-job", pk, job.pk)


@customer_page
def targets_job_file(request, pk, job_pk):
    """An export job's file, once it is complete."""
    outdial = _outdial(request, pk)
    job = get_object_or_404(
        TargetsJob, pk=job_pk, outdial=outdial, kind="export", status=JobStatus.DONE
    )
    if not job.file:
        raise Http404("This export's file was removed; export again.")
    name = slugify(outdial.name) or "outdial"
    return FileResponse(
        default_storage.open(job.file),
        as_attachment=True,
        filename=f"{name}-targets.csv",
        content_type="text/csv; charset=utf-8",
    )


def _counted(n: int, noun: str) -> str:
    """``1 target``, ``2 targets``."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


IMPORT_HISTORY_SIZE = 20


def _rejected(error) -> str:
    """A rejected import in page words (the importer's message names API
    parameters for invalid rows)."""
    report = error.report
    if error.reason == "INVALID_ROWS":
        return (
            f"{report.invalid:,} of {report.rows:,} rows are invalid, so nothing "
            "was imported. Fix the rows listed below and upload the file again, "
            "or choose to import the valid rows only."
        )
    return f"Nothing was imported: {error.message}"


@customer_page
def upload(request, pk):
    """Step 1: choose a file; it is kept, and the mapping step opens. Below,
    the import history (running imports too)."""
    outdial = _outdial(request, pk)
    if request.method == "GET" and request.GET.get("import"):
        shown = _shown_batch(outdial, request.GET["import"])  # an older link
        if shown is not None:
            return redirect("import", pk, shown.pk)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            importing.formats.detect(file.file, file.name)
        except importing.ImportRejected as error:
            form.add_error("file", error.message)
        else:
            staged = importing.staging.stage(outdial, file, request.user)
            return redirect("upload-review", pk, staged.pk)
    context = {
        "outdial": outdial,
        "form": form,
        "history": outdial.imports.order_by("-tm_create")[:IMPORT_HISTORY_SIZE],
    }
    return render(request, "outdials/upload.html", context)


PREVIEW_ROWS = 20


# A check of a kept file this small runs in the page's own request (about a
# second); a larger one, and every import, is a background job.
INLINE_CHECK_BYTES = 1 << 20


def _import_options(request, staged, form, *, dry_run: bool) -> dict:
    """The import of the kept file with the form's mapping and options."""
    data = form.cleaned_data
    chosen = form.chosen()
    return {
        "file_name": staged.file_name,
        "region": data["region"],
        "on_duplicate": data["on_duplicate"],
        "on_error": data["on_error"],
        "on_suppressed": data.get("on_suppressed") or "skip",
        "dry_run": dry_run,
        "created_by": request.user,
        "created_by_name": request.user.get_username(),
        "columns": chosen.columns,
        "key": chosen.key,
        "unmapped_to_data": chosen.unmapped_to_data,
        "sheet": data.get("sheet") or None,
        "preview": PREVIEW_ROWS if dry_run else 0,
    }


def _run_import(request, outdial, staged, form, *, dry_run: bool):
    """The check of a small kept file, here and now."""
    with importing.staging.open_file(staged) as file:
        return importing.import_csv(
            outdial, file, **_import_options(request, staged, form, dry_run=dry_run)
        )


def _queue_import(request, outdial, staged, form, *, dry_run: bool):
    """The import (or the check) of the kept file as a job."""
    with importing.staging.open_file(staged) as file:
        return background.queue_import(
            outdial, file, **_import_options(request, staged, form, dry_run=dry_run)
        )


def _review_initial(outdial, columns) -> dict:
    offered = importing.mapping.offered(outdial, columns.header)
    labels = [importing.mapping.label(cell) for cell in columns.header]
    initial = {
        f"column_{position}": (offered.columns or {}).get(column, "")
        for position, column in enumerate(labels)
    }
    initial.update(
        region=outdial.region,
        key=offered.key,
        unmapped_to_data=offered.unmapped_to_data,
        sheet=columns.sheet,
    )
    return initial


@customer_page
def upload_review(request, pk, upload_pk):
    """Step 2: what each column holds (five sample values each), the options,
    and the preview of the first rows as they would be stored; *Import* then
    imports the file already uploaded."""
    outdial = _outdial(request, pk)
    staged = importing.staging.find(outdial, upload_pk)
    if staged is None:
        messages.error(
            request, "That upload has expired or was imported; choose the file again."
        )
        return redirect("upload", pk)
    sheet = request.POST.get("sheet") or None
    try:
        with importing.staging.open_file(staged) as file:
            columns = importing.header.read_columns(file, staged.file_name, sheet)
    except importing.ImportRejected as error:
        importing.staging.discard(staged)
        messages.error(request, _rejected(error))
        return redirect("upload", pk)
    if sheet and sheet != columns.sheet:
        sheet = None
    form = ReviewForm(
        request.POST or None,
        header=columns.header,
        sheets=columns.sheets,
        initial=_review_initial(outdial, columns),
    )
    if request.method == "POST" and request.POST.get("sheet_changed"):
        # Another sheet has other columns: offer its mapping afresh.
        form = ReviewForm(
            None,
            header=columns.header,
            sheets=columns.sheets,
            initial={**_review_initial(outdial, columns), **_options(request.POST)},
        )
    report, problem = None, ""
    small = staged.size <= INLINE_CHECK_BYTES
    if form.is_bound and form.is_valid():
        importing_now = request.POST.get("action") == "import"
        if importing_now or not small:
            # The import, or the check of a large file, runs as a job; the
            # import's own page follows it.
            try:
                batch = _queue_import(
                    request, outdial, staged, form, dry_run=not importing_now
                )
            except importing.ImportRejected as error:
                problem, report = _rejected(error), error.report.as_dict()
            else:
                if importing_now:
                    if form.cleaned_data["save_mapping"]:
                        importing.mapping.save(outdial, form.chosen())
                    importing.staging.discard(staged)
                return redirect("import", pk, batch.pk)
        else:
            try:
                report = _run_import(
                    request, outdial, staged, form, dry_run=True
                ).as_dict()
            except importing.ImportRejected as error:
                problem, report = _rejected(error), error.report.as_dict()
    elif not form.is_bound and small:
        bound = ReviewForm(
            {**_form_values(form), "region": form["region"].initial},
            header=columns.header,
            sheets=columns.sheets,
        )
        if bound.is_valid():
            try:
                report = _run_import(
                    request, outdial, staged, bound, dry_run=True
                ).as_dict()
            except importing.ImportRejected as error:
                problem, report = _rejected(error), error.report.as_dict()
    context = {
        "outdial": outdial,
        "staged": staged,
        "saved": importing.mapping.is_saved(outdial, columns.header),
        "form": form,
        "columns": list(zip(form.column_fields(), columns.samples, strict=False)),
        "report": report,
        "problem": problem,
        "large": not small,
    }
    return render(request, "outdials/upload_review.html", context)


def _options(data) -> dict:
    return {
        name: data.get(name)
        for name in ("region", "on_duplicate", "on_error", "on_suppressed")
        if data.get(name)
    }


def _form_values(form) -> dict:
    """The unbound form's initial values, as a browser would post them."""
    values = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value in (None, False):
            continue
        values[name] = "on" if value is True else value
    return values


@customer_page
def import_detail(request, pk, batch_pk):
    """One import: its progress while it runs (the page refreshes itself),
    then its report, or why it failed; Cancel while it runs, Undo after."""
    outdial = _outdial(request, pk)
    batch = get_object_or_404(ImportBatch, pk=batch_pk, outdial=outdial)
    context = {
        "outdial": outdial,
        "batch": batch,
        "job": _job_view(batch),
        "report": batch.report or None,
        "wrote": batch.status == JobStatus.DONE and not batch.dry_run,
        "outcome": _import_outcome(batch),
    }
    return render(request, "outdials/import_detail.html", context)


@customer_page
@require_POST
def import_cancel(request, pk, batch_pk):
    outdial = _outdial(request, pk)
    batch = get_object_or_404(ImportBatch, pk=batch_pk, outdial=outdial)
    if background.cancel_import(batch):
        messages.success(request, "Cancelled the import: nothing of it was kept.")
    else:
        messages.error(request, "The import had ended already.")
    return redirect("import", pk, batch.pk)


def _job_view(work) -> dict:
    """What a job's progress panel shows (imports and bulk jobs alike)."""
    running = work.status == JobStatus.RUNNING
    importing_ = isinstance(work, ImportBatch)
    writing = running and work.total is not None
    return {
        "open": not work.is_finished,
        "status": work.status,
        "label": {
            JobStatus.QUEUED: "Waiting for a worker",
            JobStatus.RUNNING: "Writing" if writing else "Checking",
            JobStatus.DONE: "Done",
            JobStatus.FAILED: "Failed",
            JobStatus.CANCELLED: "Cancelled",
        }[work.status],
        "checked": work.checked,
        "written": work.written,
        "total": work.total,
        # Imports count targets written of those to write; bulk jobs count
        # targets gone through, changed or not.
        "done": work.written if importing_ else work.checked,
        "labels": (
            ("Rows checked", "Rows written", "To write")
            if importing_
            else ("Targets gone through", "Changed", "In all")
        ),
        "determinate": bool(writing and work.total),
    }


def _import_outcome(batch) -> str:
    """The import's result in page words."""
    if batch.status == JobStatus.DONE:
        if batch.dry_run:
            return "Checked the file; nothing was imported."
        return _imported(batch)
    if batch.status == JobStatus.FAILED:
        if batch.error_reason == "INVALID_ROWS":
            return (
                f"{batch.invalid:,} of {batch.rows:,} rows are invalid, so "
                "nothing was imported. Fix the rows listed below and upload the "
                "file again, or choose to import the valid rows only."
            )
        return f"Nothing was imported: {batch.error_message}"
    if batch.status == JobStatus.CANCELLED:
        return "The import was cancelled; nothing of it was kept."
    return ""


def _imported(report) -> str:
    text = f"Imported {_counted(report.created, 'target')}"
    if report.updated:
        text += f"; updated {_counted(report.updated, 'target')}"
    if report.unchanged:
        verb = "was" if report.unchanged == 1 else "were"
        text += f"; {report.unchanged:,} {verb} unchanged"
    if report.duplicates:
        text += f"; skipped {_counted(report.duplicates, 'duplicate row')}"
    if report.invalid:
        text += f"; left out {_counted(report.invalid, 'invalid row')} (listed below)"
    return text + "."


def _shown_batch(outdial, value: str):
    """The import ``?import=`` names, if it is one of this outdial's."""
    try:
        return outdial.imports.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        return None


@customer_page
def import_undo(request, pk, batch_pk):
    """Undo an import, after a confirmation page: its targets that were never
    dialed leave the list; the others stay."""
    outdial = _outdial(request, pk)
    batch = get_object_or_404(ImportBatch, pk=batch_pk, outdial=outdial)
    if request.method == "POST":
        try:
            result = importing.undo_import(batch)
        except importing.ImportRejected as error:
            messages.error(request, error.message)
        else:
            text = f"Undid the import: removed {_counted(result.deleted, 'target')}"
            if result.restored:
                text += (
                    f"; restored {_counted(result.restored, 'target')} it had updated"
                )
            if result.kept:
                text += f"; kept {result.kept:,} that were already dialed"
            messages.success(request, text + ".")
        return redirect("upload", pk)
    context = {"outdial": outdial, "batch": batch}
    return render(request, "outdials/import_undo.html", context)


@customer_page
def export(request, pk):
    """The targets as CSV, honouring the table's filters, streamed."""
    outdial = _outdial(request, pk)
    try:
        queryset = filtered_targets(outdial.pk, request.GET, outdial.region)
    except InvalidFilters:
        messages.error(request, "Those filters are not valid; nothing was exported.")
        return redirect("outdial", pk)
    return _csv_response(outdial, queryset)


def _csv_response(outdial, queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        exporting.iter_chunks(queryset), content_type="text/csv; charset=utf-8"
    )
    name = slugify(outdial.name) or "outdial"
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}-targets.csv"
    )
    return response
