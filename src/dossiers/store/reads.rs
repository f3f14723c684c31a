//! Reading one dossier (by id, with where it stands; by code; by a filing's idempotency key)
//! and a citizen's own list.

use super::*;

pub fn get(conn: &mut DbConn, id: Uuid) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .find(id.to_string())
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get_placed(conn: &mut DbConn, id: Uuid) -> AppResult<Option<Placed>> {
    let (filed, holder, receiving) = diesel::alias!(
        units as filed_units,
        units as holder_units,
        units as receiving_units
    );
    let found = dossiers::table
        .inner_join(filed.on(filed.field(units::id).eq(dossiers::unit_id)))
        .inner_join(holder.on(holder.field(units::id).eq(dossiers::holder_unit_id)))
        .left_join(
            receiving.on(receiving
                .field(units::id)
                .nullable()
                .eq(dossiers::receiving_unit_id)),
        )
        .filter(dossiers::id.eq(id.to_string()))
        .select((
            DossierRow::as_select(),
            filed.field(units::name),
            filed.field(units::kind),
            filed.field(units::path),
            filed.field(units::valid_to),
            holder.field(units::path),
            receiving.field(units::path).nullable(),
        ))
        .first::<PlacedRow>(conn)
        .optional()?;
    Ok(found.map(
        |(row, filed_name, kind, filed_path, filed_valid_to, holder_path, receiving_path)| Placed {
            row,
            filed_name,
            filed_level: UnitKind::parse(&kind).map_or(Level::Commune, UnitKind::level),
            filed_path,
            filed_valid_to,
            holder_path,
            receiving_path,
        },
    ))
}

pub fn by_code(conn: &mut DbConn, code: &str) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .filter(dossiers::code.eq(code))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_idempotency_key(
    conn: &mut DbConn,
    user: Uuid,
    key: &str,
) -> AppResult<Option<DossierRow>> {
    Ok(dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .filter(dossiers::idempotency_key.eq(key))
        .select(DossierRow::as_select())
        .first(conn)
        .optional()?)
}

/// A citizen's own dossiers, newest first.
pub fn of_applicant(
    conn: &mut DbConn,
    user: Uuid,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<DossierRow>, i64)> {
    let total = dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .count()
        .get_result(conn)?;
    let rows = dossiers::table
        .filter(dossiers::applicant_user_id.eq(user.to_string()))
        .order(dossiers::created_at.desc())
        .limit(limit)
        .offset(offset)
        .select(DossierRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}
