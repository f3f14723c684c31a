//! The desk's queues with their tabs, the officer's and approver's own work, and search.

use super::*;

pub(super) struct Queue {
    key: &'static str,
    label: &'static str,
    query: fn(&WebUser) -> QueueQuery,
}

pub(super) fn query() -> QueueQuery {
    QueueQuery {
        state: None,
        overdue: None,
        assignee: None,
        unit_id: None,
        receiving_unit_id: None,
        resolving_unit_id: None,
        q: None,
        received_on: None,
        due_within_days: None,
        page: None,
        per_page: None,
    }
}

pub(super) const DESK_QUEUES: &[Queue] = &[
    Queue {
        key: "cho-tiep-nhan",
        label: "Nộp trực tuyến chờ tiếp nhận",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::Submitted)),
            ..query()
        },
    },
    Queue {
        key: "hom-nay",
        label: "Tiếp nhận hôm nay",
        query: |_| QueueQuery {
            state: Some(StateFilter::All),
            received_on: Some(crate::calendar::model::local_today()),
            ..query()
        },
    },
    Queue {
        key: "cho-bo-sung",
        label: "Chờ bổ sung",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::SupplementRequested)),
            ..query()
        },
    },
    Queue {
        key: "sap-den-han",
        label: "Sắp đến hạn (2 ngày)",
        query: |_| QueueQuery {
            due_within_days: Some(2),
            ..query()
        },
    },
    Queue {
        key: "qua-han",
        label: "Quá hạn",
        query: |_| QueueQuery {
            overdue: Some(true),
            ..query()
        },
    },
    Queue {
        key: "tra-ket-qua",
        label: "Chờ trả kết quả",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::Resolved)),
            ..query()
        },
    },
    Queue {
        key: "tat-ca",
        label: "Tất cả hồ sơ đang xử lý",
        query: |_| query(),
    },
];

pub(super) const WORK_QUEUES: &[Queue] = &[
    Queue {
        key: "duoc-giao",
        label: "Được giao cho tôi",
        query: |_| QueueQuery {
            assignee: Some("me".to_owned()),
            ..query()
        },
    },
    Queue {
        key: "cho-phe-duyet",
        label: "Chờ phê duyệt",
        query: |_| QueueQuery {
            state: Some(StateFilter::One(State::AwaitingApproval)),
            ..query()
        },
    },
    Queue {
        key: "qua-han",
        label: "Quá hạn",
        query: |_| QueueQuery {
            overdue: Some(true),
            ..query()
        },
    },
];

#[derive(Deserialize)]
pub struct ListQuery {
    hang: Option<String>,
    trang: Option<u32>,
}

pub(super) const PER_PAGE: u32 = 30;

/// Where a queue page lives and how it is titled.
pub(super) struct Listing<'a> {
    path: &'a str,
    title: &'a str,
    active: &'a str,
}

/// The counts of every queue and the rows of the chosen one.
pub(super) async fn queue_page(
    state: &AppState,
    user: &WebUser,
    queues: &[Queue],
    chosen: Option<&str>,
    page_no: u32,
    listing: Listing<'_>,
) -> WebResult {
    let Listing {
        path,
        title,
        active,
    } = listing;
    let chosen = queues
        .iter()
        .find(|q| Some(q.key) == chosen)
        .unwrap_or(&queues[0]);
    // One read for the counts of every tab, one for the chosen tab's rows.
    let all: Vec<QueueQuery> = queues.iter().map(|q| (q.query)(user)).collect();
    let counts = service::queue_counts(state, user.caller.clone(), all).await?;
    let total = queues
        .iter()
        .position(|q| q.key == chosen.key)
        .and_then(|i| counts.get(i).copied())
        .unwrap_or(0);
    let items = service::queue_rows(
        state,
        user.caller.clone(),
        QueueQuery {
            page: Some(page_no.max(1)),
            per_page: Some(PER_PAGE),
            ..(chosen.query)(user)
        },
    )
    .await?;
    let names = view::read_names(state, &items).await?;
    let cals = state.calendar.get(&state.db).await?;
    let now = state.now();
    let base = format!("{path}?hang={}", chosen.key);
    Ok(ok(layout(
        &Chrome::of(title, user, active),
        html! {
            div data-desk="1" {
                h1 { (title) }
                nav.tabs {
                    @for (q, n) in queues.iter().zip(&counts) {
                        a href={ (path) "?hang=" (q.key) } class=[(q.key == chosen.key).then_some("on")] {
                            (q.label) span.n { (n) }
                        }
                    }
                }
                (dossier_table(&items, &names, cals.base(), now))
                (view::pager(&base, page_no.max(1), PER_PAGE, total))
                p.muted { "Màu của dòng: xanh — đã dùng dưới 3/4 thời gian làm việc; vàng — từ 3/4; đỏ — quá hạn (tính theo ngày làm việc)." }
            }
        },
    )))
}

pub(super) async fn queues(req: HttpRequest, user: WebUser, q: web::Query<ListQuery>) -> WebResult {
    staff_only(&user)?;
    let state = crate::web::session::state_of(&req)?;
    let title = match user.role() {
        Role::Clerk => "Bộ phận một cửa",
        _ => "Hồ sơ của đơn vị",
    };
    queue_page(
        &state,
        &user,
        DESK_QUEUES,
        q.hang.as_deref(),
        q.trang.unwrap_or(1),
        Listing {
            path: "/mot-cua",
            title,
            active: "queue",
        },
    )
    .await
}

pub(super) async fn my_work(
    req: HttpRequest,
    user: WebUser,
    q: web::Query<ListQuery>,
) -> WebResult {
    staff_only(&user)?;
    let state = crate::web::session::state_of(&req)?;
    let queues = if user.role() == Role::Approver {
        WORK_QUEUES
    } else {
        &[WORK_QUEUES[0].clone_ref(), WORK_QUEUES[2].clone_ref()][..]
    };
    queue_page(
        &state,
        &user,
        queues,
        q.hang.as_deref(),
        q.trang.unwrap_or(1),
        Listing {
            path: "/viec-cua-toi",
            title: "Việc của tôi",
            active: "mine",
        },
    )
    .await
}

impl Queue {
    const fn clone_ref(&self) -> Queue {
        Queue {
            key: self.key,
            label: self.label,
            query: self.query,
        }
    }
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    trang: Option<u32>,
}

/// A code typed or scanned opens its dossier; anything else lists what matches.
pub(super) async fn search(
    req: HttpRequest,
    user: WebUser,
    q: web::Query<SearchQuery>,
) -> WebResult {
    staff_only(&user)?;
    let state = crate::web::session::state_of(&req)?;
    let text = q.q.clone().unwrap_or_default().trim().to_owned();
    if text.is_empty() {
        return Ok(see_other(crate::web::home_of(user.role())));
    }
    let found = service::queue(
        &state,
        user.caller.clone(),
        QueueQuery {
            state: Some(StateFilter::All),
            q: Some(text.clone()),
            page: Some(q.trang.unwrap_or(1).max(1)),
            per_page: Some(PER_PAGE),
            ..query()
        },
    )
    .await?;
    if let Some(d) = found
        .items
        .iter()
        .find(|d| d.code.eq_ignore_ascii_case(&text))
    {
        return Ok(see_other(&format!("/ho-so/{}", d.id)));
    }
    let items = found.items;
    let names = view::read_names(&state, &items).await?;
    let cals = state.calendar.get(&state.db).await?;
    let base = format!("/tim?q={}", crate::web::urlencode(&text));
    Ok(ok(layout(
        &Chrome::of("Tìm hồ sơ", &user, ""),
        html! {
            h1 { "Kết quả tìm “" (text) "”" }
            (dossier_table(&items, &names, cals.base(), state.now()))
            (view::pager(&base, q.trang.unwrap_or(1).max(1), PER_PAGE, found.total))
        },
    )))
}
