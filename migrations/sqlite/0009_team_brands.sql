-- The brands each team serves. An agent works the conversations of the brands their teams serve;
-- supervisors and admins work every brand. A team without a row here serves every brand, those
-- added later included: a deployment of one brand never names it, and teams from before this
-- migration keep serving everything. An agent in no team works no brand.
create table team_brands (
    team_id integer not null references teams (id),
    brand_id integer not null references brands (id),
    primary key (team_id, brand_id)
) without rowid;
create index team_brands_brand on team_brands (brand_id);
